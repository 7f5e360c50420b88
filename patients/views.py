def home(r): pass
baseline=check_in=check_in_list=check_in_result=contacts=home
