-- The project var default_phone_country, when set, must be a country of the
-- phone_country_codes seed; otherwise it would silently read no national numbers.
with

default_country as (

    select {{ cdp_default_phone_country() }} as iso2

)

select default_country.iso2
from default_country
left join {{ ref('phone_country_codes') }} as phone_country_codes
    on phone_country_codes.iso2 = default_country.iso2
where default_country.iso2 is not null
    and phone_country_codes.iso2 is null
